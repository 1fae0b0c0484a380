"""Exports of the exact answers, one module per format over one row source (`rows`).

csv: the CSV file; xlsx: an Excel workbook; spss: an SPSS .sav file with its syntax; stata: a Stata
.dta file from the SPSS module's frame and labels; r: an R script that labels the CSV; codebook: what
every column means. All stream or bound their memory.
"""
