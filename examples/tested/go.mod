module stagefile.example/greet

go 1.19
