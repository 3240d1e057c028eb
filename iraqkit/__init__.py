"""iraqkit: reproducible analysis of Arabic news on the US military presence in Iraq.

Stages (each a module): :mod:`iraqkit.ingest` (decode, quarantine, clean, segment,
metadata), :mod:`iraqkit.actors`, :mod:`iraqkit.attacks`, :mod:`iraqkit.milestones`.
Shared utilities: :mod:`iraqkit.arabic` (normalisation with offset maps, clitics,
sentences), :mod:`iraqkit.dates`, :mod:`iraqkit.figures`, :mod:`iraqkit.paths`.
"""
__version__ = "0.1.0"
