"""Explanations learners asked for (issue 13 item 7): rows of a matrix are labelled rows, kl's
batchmean on one distribution says what it divides by, backprop shows where a tutorial's
larger E comes from."""

from __future__ import annotations


def test_a_matrix_is_explained_row_by_row(cli):
    code, out, _ = cli("mse", "-p", "1,2;3,4", "-t", "1,1;1,1", "--explain", "-f", "plain")
    assert code == 0
    assert "row 0:" in out and "row 1:" in out and "element 0:" not in out
    code, out, _ = cli("mse", "-p", "1,2", "-t", "1,1", "--explain", "-f", "plain")
    assert "element 0:" in out and "element 1:" in out


def test_kl_batchmean_of_one_distribution_says_what_it_divides_by(cli):
    # PyTorch: kl_div(input of shape (3,), …, reduction='batchmean') divides by input.size(0)
    # = 3, the number of classes.
    code, out, _ = cli("kl", "--log-probs=-1.2,-0.5,-1.6", "-t", "0.2,0.5,0.3", "-r",
                       "batchmean", "--explain", "-f", "plain")
    assert code == 0
    assert "N = 3: for one 1-D distribution that is its number of classes, not 1" in out
    code, out, _ = cli("kl", "--log-probs=-1.2,-0.5,-1.6;-1,-1,-1.4", "-t",
                       "0.2,0.5,0.3;0.3,0.3,0.4", "-r", "batchmean", "--explain", "-f", "plain")
    assert "batch size N = 2" in out and "number of classes" not in out


def test_backprop_shows_where_the_tutorials_032193_comes_from(cli):
    # The tutorial's network: outputs 0.75136507, 0.77292847 against targets 0.01, 0.99;
    # its code 0.5*(o1-0.01)**2 + (o2-0.99)**2 gives 0.32193113 (its stated loss):
    # 0.5*0.74136507**2 = 0.27481108, 0.21707153**2 = 0.04712005, sum 0.32193113.
    code, out, _ = cli("backprop", "--explain", "-f", "plain")
    assert code == 0
    assert "(operator precedence)" in out and "= 0.321931, not E" in out
