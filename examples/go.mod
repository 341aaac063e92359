module github.com/esmsafrica/smpp/examples

go 1.26.0

require github.com/esmsafrica/smpp v0.0.0

replace github.com/esmsafrica/smpp => ../
