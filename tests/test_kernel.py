"""`jupyter lab` from the venv finds a kernel that runs iraqkit."""
import json
from importlib.metadata import version

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel


def test_the_python3_kernel_runs_the_pinned_iraqkit_environment():
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.language == "python"
    km, kc = start_new_kernel(kernel_name="python3")
    out = []
    try:
        reply = kc.execute_interactive(
            "import json, iraqkit, matplotlib, pandas; "
            "print(json.dumps([iraqkit.__version__, matplotlib.__version__, pandas.__version__]))",
            timeout=60, output_hook=lambda msg: out.append(msg["content"].get("text", "")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    assert json.loads("".join(out)) == ["0.1.0", version("matplotlib"), version("pandas")]
