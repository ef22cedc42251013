module github.com/todo-events/backbone/hack/cluster/cold-start-floor

go 1.26
