"""Helpers the tests share: the gateway on its sandbox, replicas, Redis servers, clients."""
