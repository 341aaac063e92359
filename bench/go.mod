module github.com/esmsafrica/smpp/bench

go 1.26.0

require (
	github.com/esmsafrica/smpp v0.0.0
	github.com/linxGnu/gosmpp v0.3.1
)

require (
	go.yaml.in/yaml/v3 v3.0.6 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/esmsafrica/smpp => ../
