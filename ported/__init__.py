"""Native TF2 ports of the legacy modules (kept beside `legacy/` until retired)."""
