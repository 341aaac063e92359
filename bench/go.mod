module github.com/esmsafrica/smpp/bench

go 1.26.0

require (
	github.com/esmsafrica/smpp v0.0.0
	github.com/linxGnu/gosmpp v0.3.1
)

require (
	github.com/orcaman/concurrent-map/v2 v2.0.1 // indirect
	golang.org/x/exp v0.0.0-20240604190554-fc45aab8b7f8 // indirect
	golang.org/x/text v0.44.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/esmsafrica/smpp => ../
