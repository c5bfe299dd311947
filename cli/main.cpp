#include <iostream>
int main() {
  std::cout << "skywire: under construction\n";
  return 0;
}
