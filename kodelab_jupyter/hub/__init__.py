"""JupyterHub service mode and the instructor features."""
