package org.stageforge.atom;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed dependency-style string (DEPEND, REQUIRED_USE, LICENSE, SRC_URI, RESTRICT ...):
 * groups and leaves. {@code toString()} gives the canonical text of a node; the top level of a
 * string is an {@link AllOf} printed without parentheses by {@link DepString#format}.
 */
public sealed interface DepNode {

    /** Nodes that hold other nodes. */
    sealed interface Group extends DepNode {
        List<DepNode> children();
    }

    /** {@code ( a b )}, and the top level of every string. */
    record AllOf(List<DepNode> children) implements Group {
        public AllOf {
            children = List.copyOf(children);
        }

        @Override
        public String toString() {
            return DepString.group("", children);
        }
    }

    /** {@code || ( a b )}. */
    record AnyOf(List<DepNode> children) implements Group {
        public AnyOf {
            children = List.copyOf(children);
        }

        @Override
        public String toString() {
            return DepString.group("|| ", children);
        }
    }

    /** {@code ^^ ( a b )} (REQUIRED_USE only). */
    record ExactlyOneOf(List<DepNode> children) implements Group {
        public ExactlyOneOf {
            children = List.copyOf(children);
        }

        @Override
        public String toString() {
            return DepString.group("^^ ", children);
        }
    }

    /** {@code ?? ( a b )} (REQUIRED_USE only). */
    record AtMostOneOf(List<DepNode> children) implements Group {
        public AtMostOneOf {
            children = List.copyOf(children);
        }

        @Override
        public String toString() {
            return DepString.group("?? ", children);
        }
    }

    /** {@code flag? ( ... )} or {@code !flag? ( ... )}. */
    record UseConditional(String flag, boolean negated, List<DepNode> children) implements Group {
        public UseConditional {
            if (!Names.isValidUseFlag(flag)) throw new IllegalArgumentException("invalid USE flag: " + flag);
            children = List.copyOf(children);
        }

        /** True when the children apply under the given USE. */
        public boolean active(Set<String> use) {
            return use.contains(flag) != negated;
        }

        @Override
        public String toString() {
            return DepString.group((negated ? "!" : "") + flag + "? ", children);
        }
    }

    /** A package atom (DEPEND-like strings). */
    record AtomLeaf(Atom atom) implements DepNode {
        public AtomLeaf {
            Objects.requireNonNull(atom, "atom");
        }

        @Override
        public String toString() {
            return atom.toString();
        }
    }

    /** A USE flag, possibly negated (REQUIRED_USE). */
    record FlagLeaf(String flag, boolean negated) implements DepNode {
        public FlagLeaf {
            if (!Names.isValidUseFlag(flag)) throw new IllegalArgumentException("invalid USE flag: " + flag);
        }

        @Override
        public String toString() {
            return (negated ? "!" : "") + flag;
        }
    }

    /** A plain token: a license name or {@code @group}, a RESTRICT/PROPERTIES value, ... */
    record TextLeaf(String text) implements DepNode {
        public TextLeaf {
            if (text.isEmpty()) throw new IllegalArgumentException("empty token");
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** A SRC_URI entry, with the {@code -> name} rename when present (else {@code fileName} is null). */
    record UriLeaf(String uri, String fileName) implements DepNode {
        public UriLeaf {
            Objects.requireNonNull(uri, "uri");
        }

        @Override
        public String toString() {
            return fileName == null ? uri : uri + " -> " + fileName;
        }
    }
}
