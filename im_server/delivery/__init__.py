"""Durable, ordered, resumable delivery: commit events, carry them between nodes, push to sockets.

    handler --job--> Committer --(one transaction, positions in commit order)--> database
                         └──batch──> Bus (in-process or Redis) ──> Dispatcher (every node)
                                                                    └──> Connection queues
"""
