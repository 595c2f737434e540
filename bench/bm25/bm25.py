"""Baseline of `bench/search-scale`: what a user might script instead of Zijin's index —
jieba's default cut and rank_bm25's BM25Okapi over the same documents, the same queries.

Usage: bm25.py DOCUMENTS.tsv QUERIES.txt  (prints one JSON object on stdout)
Documents are `id<TAB>title<TAB>body`; the first 100 queries warm up and are not timed.
"""

import json
import resource
import sys
import time

import jieba
import numpy as np
from rank_bm25 import BM25Okapi


def main():
    documents_path, queries_path = sys.argv[1], sys.argv[2]
    jieba.setLogLevel(60)
    jieba.initialize()
    start = time.perf_counter()
    ids, corpus = [], []
    with open(documents_path, encoding="utf-8") as documents:
        for line in documents:
            number, title, body = line.rstrip("\n").split("\t", 2)
            ids.append(int(number))
            corpus.append(jieba.lcut(title + " " + body))
    bm25 = BM25Okapi(corpus)
    index_seconds = time.perf_counter() - start
    print(f"    rank_bm25 indexed {len(ids)} documents in {index_seconds:.1f} s", file=sys.stderr)

    with open(queries_path, encoding="utf-8") as queries_file:
        queries = [q for q in queries_file.read().split("\n") if q.strip()]
    millis = []
    for position, query in enumerate(queries):
        start = time.perf_counter()
        tokens = [t for t in jieba.lcut(query) if t.strip()]
        scores = bm25.get_scores(tokens)
        top = np.argpartition(-scores, 10)[:10]
        top = top[np.argsort(-scores[top])]
        _ = [ids[i] for i in top]
        if position >= 100:
            millis.append((time.perf_counter() - start) * 1000)
    millis.sort()
    at = lambda q: millis[min(int(len(millis) * q), len(millis) - 1)]
    print(json.dumps({
        "index_seconds": index_seconds,
        "p50_ms": at(0.5),
        "p99_ms": at(0.99),
        "mean_ms": sum(millis) / len(millis),
        "queries": len(millis),
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
