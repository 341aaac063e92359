module github.com/esmsafrica/smpp

go 1.26.0

require (
	golang.org/x/text v0.44.0
	golang.org/x/time v0.16.0
)
