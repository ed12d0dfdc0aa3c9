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
    files.set("web-rs1", true);
    CHECK(slurp(d.path / "web-rs1") == "0\n");
    CHECK(slurp(d.path / "web-rs1.proven") == "1\n");
    files.set("web-rs1", false);
    CHECK(slurp(d.path / "web-rs1") == "1\n");
    CHECK(slurp(d.path / "web-rs1.proven") == "0\n");
    // No temporary file is left behind.
    CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 2);
}

TEST_CASE("state files: a file deleted behind vipcheckd's back is written again on the next result")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.set("a", true);
    fs::remove(d.path / "a.proven");
    files.set("a", true);
    CHECK(slurp(d.path / "a.proven") == "1\n");
    fs::remove(d.path / "a");
    files.set("a", true);
    CHECK(slurp(d.path / "a") == "0\n");
    // An unchanged value with both files present is not rewritten (same inode).
    struct stat before {};
    REQUIRE(stat((d.path / "a").c_str(), &before) == 0);
    files.set("a", true);
    struct stat after {};
    REQUIRE(stat((d.path / "a").c_str(), &after) == 0);
    CHECK(before.st_ino == after.st_ino);
}

TEST_CASE("state files: a file that says something else is written again on the next result")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.set("a", true);
    put(d.path / "a.proven", "0\n"); // keepalived's init_file 0 overwrite, at its start
    files.set("a", true);
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
    files.start({"kept-up", "kept-down", "half", "garbled", "new"});
    CHECK(slurp(d.path / "kept-up") == "0\n");
    CHECK(slurp(d.path / "kept-up.proven") == "1\n");
    CHECK(slurp(d.path / "kept-down") == "1\n");
    CHECK(slurp(d.path / "kept-down.proven") == "0\n");
    for (const char* name : {"half", "garbled", "new"}) {
        CHECK(slurp(d.path / name) == "1\n");
        CHECK(slurp(d.path / (std::string(name) + ".proven")) == "0\n");
    }
}

TEST_CASE("state files: after a reload, new and changed targets say down until proven, removed ones for good")
{
    TempDir d;
    StateFiles files(d.path.string());
    files.start({"web-rs1", "web-rs2"});
    files.set("web-rs1", true);
    files.set("web-rs2", true);
    // web-rs2 changed (not proven again yet), web-rs1 removed, web-rs3 new.
    files.adopt({"web-rs2", "web-rs3"}, {"web-rs1"});
    for (const char* name : {"web-rs1", "web-rs2", "web-rs3"}) {
        CHECK(slurp(d.path / name) == "1\n");
        CHECK(slurp(d.path / (std::string(name) + ".proven")) == "0\n");
    }
    CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 6);
}

TEST_CASE("state files: an unwritable directory is a start-up error naming the file, later a line on stderr")
{
    TempDir d;
    StateFiles nowhere((d.path / "missing").string());
    CHECK_THROWS_WITH(nowhere.start({"web-rs1"}), Catch::Contains((d.path / "missing/.+web-rs1").string()));
    // A result is not an exception: the next one tries again.
    CHECK_NOTHROW(nowhere.set("web-rs1", true));
}
