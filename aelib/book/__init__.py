"""The book's own pages: section set-up, glued values, result files, the report's figures, the
judgements of its claims, the landing and Performance pages, and the live demos."""
