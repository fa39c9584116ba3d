# WRONG on purpose: breadth-first search fixes a node's time the first time it is seen
# (fewest hops), which is not the cheapest path when link times differ.
from collections import deque


def network_delay(n, edges, source):
    adj = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
    dist = {source: 0.0}
    queue = deque([source])
    while queue:
        u = queue.popleft()
        for v, w in adj[u]:
            if v not in dist:
                dist[v] = dist[u] + w
                queue.append(v)
    if len(dist) < n:
        return -1
    return max(dist.values())
