from typing import Any

def display_quiz(
    ref: str | list[dict[str, Any]],
    num: int = 1000000,
    shuffle_questions: bool = False,
    shuffle_answers: bool = True,
    preserve_responses: bool = False,
    border_radius: int = 10,
    question_alignment: str = "left",
    max_width: int = 600,
    colors: dict[str, str] | str | None = None,
    load_js: bool = True,
) -> None: ...
