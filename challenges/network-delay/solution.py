import heapq


def network_delay(n, edges, source):
    """Return the time until every node has the signal sent from source, or -1."""
    adj = [[] for _ in range(n)]
    for u, v, w in edges:
        adj[u].append((v, w))
    dist = [None] * n
    heap = [(0.0, source)]
    reached = 0
    while heap:
        d, u = heapq.heappop(heap)
        if dist[u] is not None:
            continue  # stale entry
        dist[u] = d
        reached += 1
        for v, w in adj[u]:
            if dist[v] is None:
                heapq.heappush(heap, (d + w, v))
    if reached < n:
        return -1
    return max(dist)
