from pulp_container.app import process_state
from pulp_container.app.upstream.kept import KeptPerRemote


def test_a_value_is_kept_while_the_remote_is_unchanged():
    kept, made = KeptPerRemote("tests.kept"), []

    def make():
        made.append(object())
        return made[-1]

    first = kept.get("remote-1", "t1", make)
    assert kept.get("remote-1", "t1", make) is first
    assert len(made) == 1


def test_an_edited_remote_gets_a_new_value_and_others_keep_theirs():
    kept = KeptPerRemote("tests.kept")
    one, other = kept.get("remote-1", "t1", object), kept.get("remote-2", "t1", object)
    edited = kept.get("remote-1", "t2", object)
    assert edited is not one
    assert kept.get("remote-1", "t2", object) is edited
    assert kept.get("remote-2", "t1", object) is other


def test_a_process_state_reset_forgets_every_value():
    kept = KeptPerRemote("tests.kept.reset")
    first = kept.get("remote-1", "t1", object)
    process_state.reset("tests.kept.reset")
    assert kept.get("remote-1", "t1", object) is not first
