// Set evaluation of a compiled filter through scalar indexes
// (CompiledFilter::FilterIndexed): the filter tree is evaluated over bitsets
// of rows, three-valued like the row evaluation (a TRUE and a FALSE set per
// node; rows in neither are UNKNOWN). Leaves that an index answers cost a
// lookup; a subtree without such a leaf is evaluated row by row, only over
// the rows still in question.
#include <utility>
#include <vector>

#include "engine/expr/eval.h"

namespace cove::engine::expr {
namespace {

bool AnySet(const Bitset& b) {
  for (uint64_t w : b.words()) {
    if (w != 0) return true;
  }
  return false;
}

class SetEvaluator {
 public:
  explicit SetEvaluator(IndexedRows& index) : index_(index) {}

  // True when a leaf of `p` is on an indexed field.
  bool Uses(const Predicate& p) const {
    if (const IndexQuery* q = p.index_query()) return index_.Indexed(q->field);
    for (const Predicate* c : p.children()) {
      if (Uses(*c)) return true;
    }
    return false;
  }

  // *t / *f: the rows of `domain` where `p` is TRUE / FALSE.
  void Eval(const Predicate& p, const Bitset& domain, Bitset* t, Bitset* f) {
    const Predicate::Connective kind = p.connective();
    if (kind != Predicate::Connective::kNone && Uses(p)) {
      if (kind == Predicate::Connective::kNot) {
        Eval(*p.children()[0], domain, f, t);
        return;
      }
      const bool is_and = kind == Predicate::Connective::kAnd;
      // Children on indexed fields first: they narrow the rows the others
      // are evaluated for.
      std::vector<const Predicate*> kids = p.children();
      std::vector<const Predicate*> ordered;
      for (const Predicate* c : kids) {
        if (Uses(*c)) ordered.push_back(c);
      }
      for (const Predicate* c : kids) {
        if (!Uses(*c)) ordered.push_back(c);
      }
      // and: TRUE where every child is TRUE, FALSE where any is FALSE;
      // or: the converse. `live`: rows not decided yet.
      Bitset* all = is_and ? t : f;
      Bitset* any = is_and ? f : t;
      *all = domain;
      *any = Bitset(domain.size());
      Bitset live = domain;
      for (const Predicate* c : ordered) {
        if (!AnySet(live)) break;
        Bitset ct, cf;
        Eval(*c, live, &ct, &cf);
        Bitset& decides = is_and ? cf : ct;  // settles the row
        Bitset& keeps = is_and ? ct : cf;    // leaves it in `all`
        Bitset lost = live;
        lost.AndNot(keeps);
        all->AndNot(lost);
        any->Or(decides);
        live.AndNot(decides);
      }
      return;
    }
    const IndexQuery* q = p.index_query();
    const Bitset* nulls = nullptr;
    Bitset hit;
    if (q != nullptr && index_.Indexed(q->field) &&
        index_.Answer(*q, &hit, &nulls)) {
      *t = std::move(hit);
      t->And(domain);
      *f = domain;
      f->AndNot(*t);
      if (q->kind != IndexQuery::Kind::kIsNull && nulls != nullptr) {
        f->AndNot(*nulls);
      }
      return;
    }
    *t = Bitset(domain.size());
    *f = Bitset(domain.size());
    domain.ForEachSet([&](size_t r) {
      const Tri v = p.Eval(index_.At(static_cast<uint32_t>(r)));
      if (v == Tri::kTrue) {
        t->Set(r);
      } else if (v == Tri::kFalse) {
        f->Set(r);
      }
    });
  }

 private:
  IndexedRows& index_;
};

}  // namespace

bool CompiledFilter::FilterIndexed(IndexedRows& index, Bitset* rows) const {
  if (root_ == nullptr) return false;
  SetEvaluator eval(index);
  if (!eval.Uses(*root_)) return false;
  Bitset t, f;
  eval.Eval(*root_, *rows, &t, &f);
  *rows = std::move(t);
  return true;
}

}  // namespace cove::engine::expr
