"""Bank statements (camt.052/053/054, BAI2, MT940) read into bank credit and debit lines; `read_statements`."""
