// Prints the version of the lightspead library it is linked with.
#include <iostream>
#include <lightspead/lightspead.h>

int main()
{
    std::cout << lightspead::version() << '\n';
    return 0;
}
