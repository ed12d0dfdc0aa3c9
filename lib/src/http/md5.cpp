#include "http/md5.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "vipcheck/error.hpp"

namespace vipcheck {

Md5::Md5() : ctx_(EVP_MD_CTX_new())
{
    if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_md5(), nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
        // MD5 is missing only under an OpenSSL FIPS configuration.
        throw Error("OpenSSL refuses MD5 (FIPS mode?): cannot compute the body digest");
    }
}

Md5::~Md5()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Md5::update(std::string_view data)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Md5::hex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &size);
    std::string out;
    for (unsigned i = 0; i < size; ++i)
        out += fmt::format("{:02x}", digest[i]);
    return out;
}

std::string Md5::of(std::string_view data)
{
    Md5 md5;
    md5.update(data);
    return md5.hex();
}

} // namespace vipcheck
