"""One document through its stages: citations resolved, laid out as HTML (Jinja),
then a tagged PDF (the only WeasyPrint import), each picture measured and
every file read through the fetcher."""
