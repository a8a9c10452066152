"""Public references and codes: typeable, URL-safe, with a check character that catches typing errors."""

import itertools

from titles.models import CROCKFORD, crockford_check, is_valid_public_code, new_public_code, normalise_public_code


def test_codes_use_only_the_32_crockford_symbols():
    for _ in range(2000):
        code = new_public_code(10)
        assert len(code) == 10 and set(code) <= set(CROCKFORD)
        assert is_valid_public_code(code)


def test_every_single_character_error_is_caught():
    for _ in range(200):
        code = new_public_code(12)
        for position, wrong in itertools.product(range(12), CROCKFORD):
            if wrong != code[position]:
                assert not is_valid_public_code(code[:position] + wrong + code[position + 1:])


def test_nearly_every_swap_of_two_different_neighbours_is_caught():
    caught = total = 0
    for _ in range(300):
        code = new_public_code(12)
        for i in range(11):
            if code[i] != code[i + 1]:
                total += 1
                caught += not is_valid_public_code(code[:i] + code[i + 1] + code[i] + code[i + 2:])
    assert caught / total > 0.99


def test_codes_are_read_as_people_type_them():
    code = "7" + "".join("0") + "ABCDEFGH"
    code = code + crockford_check(code)
    typed = code.lower().replace("0", "o").replace("1", "l")
    assert normalise_public_code(f" {typed[:4]}-{typed[4:]} ") == code
