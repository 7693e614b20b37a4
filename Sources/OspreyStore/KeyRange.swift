/// Prefix matching as a key range, so listings use the primary-key index and never interpret `%` or `_`.
enum KeyRange {
    /// The smallest string greater than every string that starts with `prefix`, in UTF-8 byte (= code point) order.
    ///
    /// Keys starting with `prefix` are exactly those with `prefix <= key < upperBound`. Nil when there is no such bound
    /// (the prefix is empty or made only of U+10FFFF), in which case `key >= prefix` alone is exact.
    static func upperBound(ofPrefix prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            if let next = successor(of: last) {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars)
                view.append(next)
                return String(view)
            }
        }
        return nil
    }

    /// The next Unicode scalar value, skipping the surrogate range; nil after U+10FFFF.
    static func successor(of scalar: Unicode.Scalar) -> Unicode.Scalar? {
        let value = scalar.value == 0xD7FF ? 0xE000 : scalar.value + 1
        return Unicode.Scalar(value)
    }
}
