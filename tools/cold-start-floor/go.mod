module github.com/todo-events/backbone/tools/cold-start-floor

go 1.26
