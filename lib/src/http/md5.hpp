// The body digest of the HTTP checks. keepalived's genhash and HTTP_GET digest are the
// MD5 of the body as received (no content decoding); OpenSSL's EVP interface computes it.
#pragma once

#include <string>
#include <string_view>

namespace vipcheck {

// MD5 as lower-case hex.
class Md5 {
public:
    Md5();
    ~Md5();
    Md5(const Md5&) = delete;
    Md5& operator=(const Md5&) = delete;
    void update(std::string_view data);
    std::string hex(); // ends the digest
    static std::string of(std::string_view data);

private:
    void* ctx_; // EVP_MD_CTX, kept out of this header
};

} // namespace vipcheck
