"""The embedded renderer: the subset of Quarto this book uses, built from PyPI packages.

config   read _quarto.yml + _quarto-<profile>.yml and merge them like Quarto
qmd      parse a .qmd file into markdown and code cells (with `#|` options and .qmd line numbers)
execute  run every chapter of one language in ONE Jupyter kernel (jupyter_client)
assemble turn a parsed chapter + its outputs into Pandoc markdown for HTML or Typst
html     Pandoc -> HTML5 pages in the book layout (sidebar, toc, prev/next, language switch)
pdf      Pandoc -> Typst -> PDF with the `typst` package
cache    content hashes of every input
"""
