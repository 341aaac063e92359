package bodygen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type structField struct{ name, typ string }

type goPackage struct {
	structs  map[string][]structField
	defined  map[string]string // a type defined on another: DeliverSM -> SubmitSM
	receiver map[string]string // the receiver name of a type's hand-written methods
}

func readPackage(dir string) (*goPackage, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	pkg := &goPackage{structs: map[string][]structField{}, defined: map[string]string{}, receiver: map[string]string{}}
	fset := token.NewFileSet()
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasSuffix(base, "_test.go") || base == Output {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok {
						continue
					}
					switch t := ts.Type.(type) {
					case *ast.StructType:
						var fs []structField
						for _, fl := range t.Fields.List {
							typ := types.ExprString(fl.Type)
							if len(fl.Names) == 0 {
								fs = append(fs, structField{typ, typ}) // embedded
							}
							for _, id := range fl.Names {
								fs = append(fs, structField{id.Name, typ})
							}
						}
						pkg.structs[ts.Name.Name] = fs
					case *ast.Ident:
						pkg.defined[ts.Name.Name] = t.Name
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) != 1 || len(d.Recv.List[0].Names) != 1 {
					continue
				}
				t := d.Recv.List[0].Type
				if st, ok := t.(*ast.StarExpr); ok {
					t = st.X
				}
				if id, ok := t.(*ast.Ident); ok && pkg.receiver[id.Name] == "" && d.Recv.List[0].Names[0].Name != "_" {
					pkg.receiver[id.Name] = d.Recv.List[0].Names[0].Name
				}
			}
		}
	}
	return pkg, nil
}

// check compares the table with the structs.
func check(bodies []*body, pkg *goPackage) error {
	for _, b := range bodies {
		fs, ok := pkg.structs[b.goType]
		if !ok {
			return fmt.Errorf("bodies.txt:%d: no struct type %s in the package", b.line, b.goType)
		}
		for _, t := range b.types()[1:] {
			if pkg.defined[t] != b.goType {
				return fmt.Errorf("bodies.txt:%d: %s must be declared as type %s %s", b.line, t, t, b.goType)
			}
		}
		if b.handwritten {
			continue
		}
		if b.hasID {
			if len(fs) == 0 || fs[0] != (structField{"ID", "CommandID"}) {
				return fmt.Errorf("bodies.txt:%d: +id: %s must start with a field ID CommandID", b.line, b.goType)
			}
			fs = fs[1:]
		}
		for i, f := range b.fields {
			if i >= len(fs) {
				return fmt.Errorf("bodies.txt:%d: %s has no field %s", f.line, b.goType, f.goName)
			}
			if fs[i].name != f.goName {
				return fmt.Errorf("bodies.txt:%d: field %d of %s is %s, the table says %s", f.line, i+1, b.goType, fs[i].name, f.goName)
			}
			if want := goTypeOf(f); !slices.Contains(want, fs[i].typ) {
				return fmt.Errorf("bodies.txt:%d: %s.%s is a %s; %s wants %s", f.line, b.goType, f.goName, fs[i].typ, f.spec, strings.Join(want, " or "))
			}
		}
		if len(fs) > len(b.fields) {
			return fmt.Errorf("bodies.txt:%d: %s has a field %s that the table does not list", b.line, b.goType, fs[len(b.fields)].name)
		}
	}
	return nil
}

// goTypeOf returns the Go types a field of this wire type may have.
func goTypeOf(f field) []string {
	switch f.kind {
	case kindU8:
		if f.goType != "" {
			return []string{f.goType}
		}
		return []string{"uint8", "byte"}
	case kindU32:
		if f.goType != "" {
			return []string{f.goType}
		}
		return []string{"uint32"}
	case kindCString, kindTime:
		return []string{"string"}
	case kindOctets:
		return []string{"[]byte", "[]uint8"}
	case kindList:
		return []string{"[]" + f.goType}
	case kindLocal:
		return []string{f.goType}
	}
	return []string{"tlv.List"}
}
