# shellcheck shell=bash
# user.sh - the unprivileged system user the tests run probes as. Sourced.
# test_user_ensure creates it when missing (and remembers that it did);
# test_user_remove deletes it only then, so a user that existed before stays.
TEST_USER=vipcheck-test
_test_user_created=0

test_user_ensure() {
    id -u "$TEST_USER" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --user-group "$TEST_USER" || return 1
    _test_user_created=1
}

test_user_remove() {
    ((_test_user_created == 1)) || return 0
    userdel "$TEST_USER" 2>/dev/null
    _test_user_created=0
}
