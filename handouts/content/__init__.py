"""Reading what staff wrote: sources, front matter, resources, the brand and its
typeface, translations, safety blocks, and Markdown made safe HTML."""
