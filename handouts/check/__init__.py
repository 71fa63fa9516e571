"""The gate: reading level, wording, clear communication, safety content,
accessibility (the built PDFs' tag trees too) and review dates."""
