import pytest

from assistant.config import PROJECT_ROOT, load_settings
from assistant.errors import ConfigError
from assistant.prompts import load_prompt, parse_prompt

PROMPT_FILES = sorted((PROJECT_ROOT / "prompts").glob("*.md"))


@pytest.mark.parametrize("path", PROMPT_FILES, ids=lambda p: p.stem)
def test_every_prompt_file_loads_and_renders(path):
    prompt = load_prompt(path.stem, path.parent)
    values = {name: f"<{name}>" for name in prompt.variables}
    rendered = prompt.render(**values)
    assert rendered and all(text for _, text in rendered)
    joined = "\n".join(text for _, text in rendered)
    assert all(f"<{name}>" in joined for name in prompt.variables)
    assert not any("{" + name + "}" in joined for name in prompt.variables)  # all filled
    template = prompt.to_langchain()
    assert set(template.input_variables) == set(prompt.variables)
    assert [m.content for m in template.format_messages(**values)] == [t for _, t in rendered]


def test_prompt_with_undeclared_variable_fails_on_load():
    text = "---\nname: x\nvariables: question\n---\n[system]\n{question} {sources}\n"
    with pytest.raises(
        ConfigError,
        match=r"declares variables \['question'\] but uses "
        r"\['question', 'sources'\]",
    ):
        parse_prompt(text)


def test_render_with_wrong_variables_names_both_sets():
    prompt = parse_prompt("---\nname: x\nvariables: a\n---\n[user]\n{a}\n")
    with pytest.raises(ConfigError, match=r"expects variables \['a'\], got \['b'\]"):
        prompt.render(b="1")


def test_settings_read_environment_and_openai_aliases(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    monkeypatch.setenv("ASSISTANT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings()
    assert settings.top_k == 7
    assert settings.chroma_host == "127.0.0.1"
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)


def test_settings_read_a_toml_file(tmp_path, monkeypatch):
    config = tmp_path / "a.toml"
    config.write_text(
        'answerer = "openai"\nopenai_base_url = "http://127.0.0.1:9/v1"\nchunk_tokens = 300\n'
    )
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    monkeypatch.setenv("ASSISTANT_CHUNK_TOKENS", "250")  # environment wins over the file
    settings = load_settings()
    assert (settings.answerer, settings.openai_base_url, settings.chunk_tokens) == (
        "openai",
        "http://127.0.0.1:9/v1",
        250,
    )


def test_invalid_settings_give_one_readable_error(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "many")
    with pytest.raises(ConfigError, match="top_k: Input should be a valid integer"):
        load_settings()
    monkeypatch.delenv("ASSISTANT_TOP_K")
    with pytest.raises(ConfigError, match="chunk_overlap must be below chunk_tokens"):
        load_settings(chunk_tokens=50, chunk_overlap=60)


def test_missing_config_file_is_named(monkeypatch):
    monkeypatch.setenv("ASSISTANT_CONFIG", "/nope.toml")
    with pytest.raises(ConfigError, match="ASSISTANT_CONFIG names /nope.toml"):
        load_settings()
