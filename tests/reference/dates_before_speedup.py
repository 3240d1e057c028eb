"""dates._fill_year as it was before its year choices and month days were cached
(kept to test the cached one against)."""
import calendar
import datetime as _dt


def _last_day(y, m):
    return calendar.monthrange(y, m)[1]


def _valid(y, m, d):
    if m is not None and not 1 <= m <= 12:
        return False
    if d is not None:
        if m is None:
            return 1 <= d <= 31
        last = _last_day(y, m) if y else (29 if m == 2 else _last_day(2001, m))
        if not 1 <= d <= last:
            return False
    if y is not None and not 1900 <= y <= 2099:
        return False
    return True


def old_fill_year(m, anchor):
    y, am = anchor.year, anchor.month
    mo = m.month
    if m.year_offset is not None:
        return y + m.year_offset
    rel = m.relation
    if rel == "past":
        if mo < am:
            return y
        if mo > am:
            return y - 1
        return y if (m.day is not None and m.day < anchor.day) else y - 1
    if rel == "current":
        return y
    if rel in ("future", "deadline") or (rel is None and m.planned and m.weekday is None):
        return y if mo >= am else y + 1
    years = [y - 1, y, y + 1]
    if m.weekday is not None and m.day is not None:
        ok = [yy for yy in years if _valid(yy, mo, m.day) and _dt.date(yy, mo, m.day).weekday() == m.weekday]
        if ok:
            years = ok

    def dist(yy):
        d = m.day if m.day is not None else 15
        d = min(d, _last_day(yy, mo))
        diff = (_dt.date(yy, mo, d) - anchor).days
        return (3 * diff if diff > 0 else -diff), 0 if diff <= 0 else 1

    return min(years, key=dist)
