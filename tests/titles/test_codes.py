"""Public references and codes: typeable, URL-safe, with a check character that catches typing errors."""

import itertools

import pytest

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


# Issued by the hand-written Luhn mod 32 that python-stdnum's `luhn` (with the Crockford alphabet) replaced: the
# references, codes de cession and pré-demande numbers already printed must stay valid, with the same check.
ISSUED_BEFORE = [
    "2JPJ0HDYRH", "6ESA050MVS", "AMJ3BPR89S", "5ZWPBH3P13",  # references, pré-demande numbers (10)
    "AAYBA8RRXKPT", "ZV1NVVRKFGH8", "393J11F9P5FZ",  # codes de cession (12)
]


@pytest.mark.parametrize("code", ISSUED_BEFORE)
def test_codes_issued_before_stay_valid_with_the_same_check_character(code):
    assert is_valid_public_code(code)
    assert crockford_check(code[:-1]) == code[-1]
    assert not is_valid_public_code(code[:-1] + CROCKFORD[(CROCKFORD.index(code[-1]) + 1) % 32])
