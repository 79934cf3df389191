module github.com/acme/demo

go 1.22
