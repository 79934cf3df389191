module gitlab.com/acme/backend/demo

go 1.22
