module github.com/acme/lean

go 1.22
