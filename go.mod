module github.com/perryts/perry-container

go 1.26
