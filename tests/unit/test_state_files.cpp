// The two state files per target that keepalived reads (vipcheckd(8), STATE FILES): both
// say the same thing, a missing one is written again, a restart keeps what they say.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/state_files.hpp"
#include "vipcheck/error.hpp"

using namespace vipcheck;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir()
    {
        std::string templ = (fs::temp_directory_path() / "vipcheck-state.XXXXXX").string();
        REQUIRE(mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p)
{
    std::ifstream in(p);
    if (!in)
        return "(missing)";
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void put(const fs::path& p, const std::string& text)
{
    std::ofstream(p) << text;
}

} // namespace

TEST_CASE("state files: up is 0 in NAME and 1 in NAME.proven, down the reverse")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.record("web-rs1", true);
    CHECK(slurp(d.path / "web-rs1") == "0\n");
    CHECK(slurp(d.path / "web-rs1.proven") == "1\n");
    files.record("web-rs1", false);
    CHECK(slurp(d.path / "web-rs1") == "1\n");
    CHECK(slurp(d.path / "web-rs1.proven") == "0\n");
    // No temporary file is left behind.
    CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 2);
}

TEST_CASE("state files: a file deleted behind vipcheckd's back is written again on the next result")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.record("a", true);
    fs::remove(d.path / "a.proven");
    files.record("a", true);
    CHECK(slurp(d.path / "a.proven") == "1\n");
    fs::remove(d.path / "a");
    files.record("a", true);
    CHECK(slurp(d.path / "a") == "0\n");
    // An unchanged value with both files present is not rewritten (same inode).
    struct stat before {};
    REQUIRE(stat((d.path / "a").c_str(), &before) == 0);
    files.record("a", true);
    struct stat after {};
    REQUIRE(stat((d.path / "a").c_str(), &after) == 0);
    CHECK(before.st_ino == after.st_ino);
}

TEST_CASE("state files: a file that says something else is written again on the next result")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.record("a", true);
    put(d.path / "a.proven", "0\n"); // keepalived's init_file 0 overwrite, at its start
    files.record("a", true);
    CHECK(slurp(d.path / "a.proven") == "1\n");
    CHECK(slurp(d.path / "a") == "0\n");
}

TEST_CASE("state files: a restart keeps what both files agree on, and writes down otherwise")
{
    TempDir d;
    put(d.path / "kept-up", "0\n");
    put(d.path / "kept-up.proven", "1\n");
    put(d.path / "kept-down", "1\n");
    put(d.path / "kept-down.proven", "0\n");
    put(d.path / "half", "0\n"); // its proof is gone: not proven
    put(d.path / "garbled", "0\n");
    put(d.path / "garbled.proven", "yes\n");
    StateFiles files(d.path.string());
    for (const char* name : {"kept-up", "kept-down", "half", "garbled", "new"})
        files.adopt(name);
    CHECK(slurp(d.path / "kept-up") == "0\n");
    CHECK(slurp(d.path / "kept-up.proven") == "1\n");
    CHECK(slurp(d.path / "kept-down") == "1\n");
    CHECK(slurp(d.path / "kept-down.proven") == "0\n");
    for (const char* name : {"half", "garbled", "new"}) {
        CHECK(slurp(d.path / name) == "1\n");
        CHECK(slurp(d.path / (std::string(name) + ".proven")) == "0\n");
    }
}

TEST_CASE("state files: a removed target's files say down")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.record("gone", true);
    files.retire("gone");
    CHECK(slurp(d.path / "gone") == "1\n");
    CHECK(slurp(d.path / "gone.proven") == "0\n");
}

TEST_CASE("state files: an unwritable directory is an error naming the file")
{
    StateFiles files("/nonexistent-vipcheck-dir");
    try {
        files.record("a", true);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("/nonexistent-vipcheck-dir/") != std::string::npos);
    }
}
