"""Smoke test of the Python package: a refusal is recognised as one, and leaves nothing behind.

Python receives the library's IstioSecurityError as a plain RuntimeError (jsii carries only the
text), so it tells a refusal from a bug with Errors.is_istio_security_error_message(str(error)).
"""
import sys

from cdk8s import App, Chart
from cdk8s_istio_security import Errors, MeshWorkload, StrictNamespace

app = App(outdir=sys.argv[1])
chart = Chart(app, "refusal")
namespace = StrictNamespace(chart, "shop")

try:
    MeshWorkload(chart, "web", namespace=namespace, image="nginx:1.27", replicas=-1)
except Exception as error:  # jsii raises RuntimeError
    message = str(error)
    assert type(error) is RuntimeError, type(error)
    assert Errors.is_istio_security_error_message(message), message
    assert "refusal/web: replicas -1 is not a whole number" in message, message
else:
    raise SystemExit("replicas -1 was not refused")

# Anything else is not a refusal.
assert not Errors.is_istio_security_error_message("TypeError: Cannot read properties of undefined")
assert not Errors.is_istio_security_error_message("IstioSecurityError: made up elsewhere")

# The refusal left nothing behind: the same id works on a retry (the script prints nothing on success).
MeshWorkload(chart, "web", namespace=namespace, image="nginx:1.27")
app.synth()
