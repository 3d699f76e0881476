"""Smoke test of the Python package: scenario A1, synthesized from Python.

Its output must equal the TypeScript example's chart a1-strict-namespace.
"""
import sys

from cdk8s import App, Chart
from cdk8s_istio_security import StrictNamespace

app = App(outdir=sys.argv[1])
chart = Chart(app, "a1-strict-namespace")
StrictNamespace(chart, "project-space")
app.synth()
