package org.stageforge.atom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.stageforge.ParseException;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DepStringTest {

    private static Set<String> use(String s) {
        return s == null || s.isBlank() ? Set.of() : Set.of(s.trim().split("\\s+"));
    }

    private static String flat(String dep, String use) {
        return String.join(" ", DepString.reduceFlat(DepString.parse(dep, DepString.Kind.DEPEND), use(use)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "a/b c/d;;a/b c/d",
            "|| ( a/b c/d );;|| a/b c/d",
            "foo? ( a/b );;''",
            "foo? ( a/b );foo;a/b",
            "!foo? ( a/b );;a/b",
            "!foo? ( a/b );foo;''",
            "( ( a/b ) ) c/d;;a/b c/d",
            "|| ( foo? ( a/b ) c/d );;|| c/d",
            "|| ( ( a/b c/d ) || ( e/f ) );;|| a/b c/d || e/f",
            "x? ( y? ( a/b ) );x;''",
            "x? ( y? ( a/b ) );x y;a/b",
            ">=a/b-1:2=[x?,!y=,z(+)];x;>=a/b-1:2=[x,y,z(+)]",
            "!!a/b !<c/d-2;;!!a/b !<c/d-2",
    })
    void reducesFlatLikePortage(String dep, String use, String expected) {
        assertThat(flat(dep, use)).isEqualTo(expected);
    }

    @Test
    void splitsOnAnyWhitespace() {
        assertThat(flat("  a/b\t\n|| (\nc/d\u00a0)\r\n", "")).isEqualTo("a/b || c/d");
    }

    @ParameterizedTest
    @ValueSource(strings = {"( )", "|| ( )", "foo? ( )", "||", "|| a/b", "( a/b", "a/b )", ")", "foo?", "foo? a/b",
            "|| || ( a/b )", "foo? || ( a/b )", "-foo? ( a/b )", "!? ( a/b )", "? ( a/b )", "_x? ( a/b )", "a/b::gentoo",
            "^^ ( a/b )", "?? ( a/b )", "a/b -> c", "cat/pkg-1", "(a/b )", "a/b||", "|| ( a/b ) )", "x? ( a/b ) ("})
    void rejectsInvalidDepend(String dep) {
        assertThatThrownBy(() -> DepString.parse(dep, DepString.Kind.DEPEND)).isInstanceOf(ParseException.class);
    }

    @Test
    void errorNamesTheToken() {
        assertThatThrownBy(() -> DepString.parse("a/b || c/d", DepString.Kind.DEPEND))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("position 8")
                .hasMessageContaining("token 3");
        assertThatThrownBy(() -> DepString.parse("a/b c/d[x,_y]", DepString.Kind.DEPEND))
                .hasMessageContaining("position 11").hasMessageContaining("invalid atom");
    }

    @Test
    void longInputIsShownAroundTheFault() {
        String dep = "a/b ".repeat(100) + "x/y-1 " + "c/d ".repeat(100) + "\u0001";
        assertThatThrownBy(() -> DepString.parse(dep, DepString.Kind.DEPEND))
                .isInstanceOf(ParseException.class)
                .hasMessageContaining("string '...").hasMessageContaining("a/b x/y-1 c/d").hasMessageContaining("c/d ...'")
                .hasMessageContaining("position 403")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(400));
        assertThatThrownBy(() -> DepString.parse("a/b\u0001c", DepString.Kind.DEPEND))
                .hasMessageContaining("a/b\\u0001c").hasMessageNotContaining("\u0001");
    }

    @Test
    void printsCanonicalForm() {
        DepNode.AllOf t = DepString.parse("  a/b\n\t|| (  c/d ( e/f g/h )  )  !x? ( >=i/j-1 ) ", DepString.Kind.DEPEND);
        assertThat(DepString.format(t)).isEqualTo("a/b || ( c/d ( e/f g/h ) ) !x? ( >=i/j-1 )");
        assertThat(DepString.parse(DepString.format(t), DepString.Kind.DEPEND)).isEqualTo(t);
        assertThat(t.children().get(1)).isInstanceOf(DepNode.AnyOf.class);
        assertThat(((DepNode.UseConditional) t.children().get(2)).negated()).isTrue();
        assertThat(DepString.format(DepString.parse("", DepString.Kind.DEPEND))).isEmpty();
    }

    @Test
    void structuredReduceKeepsAnyOfMeaning() {
        DepNode.AllOf t = DepString.parse("|| ( foo? ( a/b c/d ) e/f ) bar? ( g/h ( i/j ) ) k/l[foo=]", DepString.Kind.DEPEND);
        assertThat(DepString.format(DepString.reduce(t, use("foo bar")))).isEqualTo("|| ( ( a/b c/d ) e/f ) g/h i/j k/l[foo]");
        assertThat(DepString.format(DepString.reduce(t, use("")))).isEqualTo("|| ( e/f ) k/l[-foo]");
        DepNode.AllOf empty = DepString.parse("|| ( foo? ( a/b ) )", DepString.Kind.DEPEND);
        assertThat(DepString.format(DepString.reduce(empty, use("")))).isEqualTo("|| ( )");
    }

    @Test
    void listsAtoms() {
        DepNode.AllOf t = DepString.parse("a/b x? ( || ( c/d !e/f ) )", DepString.Kind.DEPEND);
        assertThat(DepString.atoms(t)).extracting(Atom::toString).containsExactly("a/b", "c/d", "!e/f");
        assertThat(DepString.flags(t)).containsExactly("x");
    }

    @Test
    void requiredUse() {
        DepNode.AllOf t = DepString.parse("^^ ( a b ) ?? ( c d ) e? ( || ( f !g ) )", DepString.Kind.REQUIRED_USE);
        assertThat(DepString.format(t)).isEqualTo("^^ ( a b ) ?? ( c d ) e? ( || ( f !g ) )");
        assertThat(DepString.satisfied(t, use("a g"))).isTrue();
        assertThat(DepString.satisfied(t, use("a b g"))).isFalse();
        assertThat(DepString.satisfied(t, use("g"))).isFalse();
        assertThat(DepString.satisfied(t, use("a c d g"))).isFalse();
        assertThat(DepString.satisfied(t, use("a e g"))).isFalse();
        assertThat(DepString.satisfied(t, use("a e"))).isTrue();
        assertThat(DepString.flags(t)).containsExactly("a", "b", "c", "d", "e", "f", "g");

        // inactive conditionals are not items of ^^; active ones count once
        DepNode.AllOf c = DepString.parse("^^ ( x? ( y ) z )", DepString.Kind.REQUIRED_USE);
        assertThat(DepString.satisfied(c, use("z"))).isTrue();
        assertThat(DepString.satisfied(c, use("x z"))).isTrue();
        assertThat(DepString.satisfied(c, use("x y z"))).isFalse();
        // EAPI 8: an empty any-of group is false, empty at-most-one-of true
        assertThat(DepString.satisfied(DepString.parse("|| ( )", DepString.Kind.REQUIRED_USE), use(""))).isFalse();
        assertThat(DepString.satisfied(DepString.parse("?? ( )", DepString.Kind.REQUIRED_USE), use(""))).isTrue();
        assertThat(DepString.reduceFlat(t, use("e"))).containsExactly("^^", "a", "b", "??", "c", "d", "||", "f", "!g");

        for (String bad : List.of("a/b", "-a", "!!a", "^^ a", "|| ( a", "a? b", "_a")) {
            assertThatThrownBy(() -> DepString.parse(bad, DepString.Kind.REQUIRED_USE)).as(bad).isInstanceOf(ParseException.class);
        }
    }

    @Test
    void licenseSrcUriAndPlain() {
        DepNode.AllOf lic = DepString.parse("GPL-2+ || ( MIT BSD-2 ) ssl? ( openssl )", DepString.Kind.LICENSE);
        assertThat(DepString.reduceFlat(lic, use(""))).containsExactly("GPL-2+", "||", "MIT", "BSD-2");
        assertThatThrownBy(() -> DepString.parse("+GPL", DepString.Kind.LICENSE)).isInstanceOf(ParseException.class);
        assertThatThrownBy(() -> DepString.parse("^^ ( A B )", DepString.Kind.LICENSE)).isInstanceOf(ParseException.class);

        DepNode.AllOf uri = DepString.parse("https://e.org/a.tar.gz -> a-1.tar.gz doc? ( mirror://gnu/b.pdf )", DepString.Kind.SRC_URI);
        assertThat(DepString.format(uri)).isEqualTo("https://e.org/a.tar.gz -> a-1.tar.gz doc? ( mirror://gnu/b.pdf )");
        assertThat(DepString.reduceFlat(uri, use("doc"))).containsExactly("https://e.org/a.tar.gz", "->", "a-1.tar.gz", "mirror://gnu/b.pdf");
        for (String bad : List.of("-> a", "a -> b/c", "a ->", "|| ( a )", "a -> -> b", "a -> x? ( b )", "x? ( -> b )")) {
            assertThatThrownBy(() -> DepString.parse(bad, DepString.Kind.SRC_URI)).as(bad).isInstanceOf(ParseException.class);
        }

        assertThat(DepString.reduceFlat(DepString.parse("test? ( test ) strip", DepString.Kind.PLAIN), use(""))).containsExactly("strip");
        assertThatThrownBy(() -> DepString.parse("^^ ( a )", DepString.Kind.PLAIN)).isInstanceOf(ParseException.class);
    }

    @Test
    void refusesAbsurdNesting() {
        String deep = "( ".repeat(DepString.MAX_DEPTH + 5) + "a/b" + " )".repeat(DepString.MAX_DEPTH + 5);
        assertThatThrownBy(() -> DepString.parse(deep, DepString.Kind.DEPEND)).isInstanceOf(ParseException.class).hasMessageContaining("nested");
        String ok = "( ".repeat(DepString.MAX_DEPTH - 1) + "a/b" + " )".repeat(DepString.MAX_DEPTH - 1);
        assertThat(DepString.reduceFlat(DepString.parse(ok, DepString.Kind.DEPEND), Set.of())).containsExactly("a/b");
    }
}
