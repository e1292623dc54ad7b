"""The reviewer's workspace: server-rendered pages beside the JSON API, calling the same service functions."""
