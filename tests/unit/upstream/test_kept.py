from pulp_container.app.upstream.kept import KeptPerRemote


def test_a_value_is_kept_while_the_remote_is_unchanged():
    kept, made = KeptPerRemote(), []

    def make():
        made.append(object())
        return made[-1]

    first = kept.get("remote-1", "t1", make)
    assert kept.get("remote-1", "t1", make) is first
    assert len(made) == 1


def test_an_edited_remote_gets_a_new_value_and_others_keep_theirs():
    kept = KeptPerRemote()
    one, other = kept.get("remote-1", "t1", object), kept.get("remote-2", "t1", object)
    edited = kept.get("remote-1", "t2", object)
    assert edited is not one
    assert kept.get("remote-1", "t2", object) is edited
    assert kept.get("remote-2", "t1", object) is other
