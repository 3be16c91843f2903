module faultline/driver-go

go 1.19
