/**
 * @file
 * A move-only type-erased callable: Asio completion handlers (such as the
 * one behind @c boost::asio::use_future) cannot be copied, so
 * @c std::function cannot hold them.
 */
#ifndef LIGHTSPEAD_COMMON_UNIQUE_FUNCTION_H
#define LIGHTSPEAD_COMMON_UNIQUE_FUNCTION_H

#include <memory>
#include <type_traits>
#include <utility>

namespace lightspead
{

template<typename Signature>
class unique_function;

/// Holds any move-constructible callable with signature R(Args...).
template<typename R, typename... Args>
class unique_function<R(Args...)>
{
private:
    struct base
    {
        virtual ~base() = default;
        virtual R call(Args... args) = 0;
    };

    template<typename F>
    struct holder final : base
    {
        F f;
        explicit holder(F &&f) : f(std::move(f)) {}
        R call(Args... args) override { return f(std::forward<Args>(args)...); }
    };

    std::unique_ptr<base> impl;

public:
    unique_function() noexcept = default;

    /// Hold the callable @a f (moved in; it need not be copyable).
    template<typename F>
    requires(!std::is_same_v<std::decay_t<F>, unique_function>) unique_function(F &&f)
        : impl(std::make_unique<holder<std::decay_t<F>>>(std::forward<F>(f)))
    {
    }

    ///@{

    /// Move (the source becomes empty).
    unique_function(unique_function &&) noexcept = default;
    unique_function &operator=(unique_function &&) noexcept = default;
    ///@}

    /// Whether a function is held.
    explicit operator bool() const noexcept { return bool(impl); }

    /// @pre the function is not empty.
    R operator()(Args... args) { return impl->call(std::forward<Args>(args)...); }
};

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_UNIQUE_FUNCTION_H
