"""The checks, one module per plane of the guide's flowchart."""
