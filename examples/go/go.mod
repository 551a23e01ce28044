module stagefile.example/server

go 1.19
